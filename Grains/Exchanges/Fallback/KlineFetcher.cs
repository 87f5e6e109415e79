using System.Collections;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using MarketData.Candles;
using MarketData.Exchanges.Binance;
using MarketData.Exchanges.Mexc;

namespace MarketData.Exchanges.Fallback;

/// <summary>
/// Closed candles of one fetch, oldest first, without duplicates, plus what happened on the way. Enumerates as
/// the candles themselves.
/// </summary>
public sealed class KlineFetchResult : IReadOnlyList<Candle>
{
    internal KlineFetchResult(List<Candle> candles, bool complete, long nextOpenTime, List<string> warnings, List<string> rejectedRows, int binancePages, int mexcPages, int switches)
    {
        Candles = candles;
        Complete = complete;
        NextOpenTime = nextOpenTime;
        Warnings = warnings;
        RejectedRows = rejectedRows;
        BinancePages = binancePages;
        MexcPages = mexcPages;
        Switches = switches;
    }

    public IReadOnlyList<Candle> Candles { get; }

    /// <summary>
    /// True when every closed candle of the range that the exchanges have was fetched. False when the fetch
    /// stopped early (1s candles while on MEXC: see <see cref="Warnings"/> and resume from <see cref="NextOpenTime"/>)
    /// or when rows were refused (<see cref="RejectedRows"/>: holes to repair later).
    /// </summary>
    public bool Complete { get; }

    /// <summary>Open time the next fetch of this series should start at.</summary>
    public long NextOpenTime { get; }

    /// <summary>Human-readable notes, e.g. "1s unavailable during fallback".</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Rows the exchange sent that were refused (high below low, negative volume, out of order, ...), each with its reason.</summary>
    public IReadOnlyList<string> RejectedRows { get; }

    public int BinancePages { get; }
    public int MexcPages { get; }
    /// <summary>Policy switches that happened while this fetch ran.</summary>
    public int Switches { get; }

    public int Count => Candles.Count;
    public Candle this[int index] => Candles[index];
    public IEnumerator<Candle> GetEnumerator() => Candles.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Fetches closed candles of a range from REST, 1,000 rows a request, from Binance (inside the shared weight
/// budget) or from MEXC, as <see cref="ExchangeFallbackPolicy"/> says. Every Binance outcome is reported to the
/// policy, so a failure in the middle of a range can switch the source; the fetch then continues from the open
/// time after the last candle received, so nothing is fetched twice or skipped across a switch. MEXC has no 1s
/// candles: while on MEXC a 1s fetch returns what it has and says "1s unavailable during fallback".
/// Thread-safe (no mutable state of its own).
/// </summary>
public sealed class KlineFetcher
{
    private readonly BinanceRestClient _binance;
    private readonly MexcRestClient? _mexc;
    private readonly ExchangeFallbackPolicy _policy;
    private readonly TimeProvider _time;

    /// <param name="mexc">Null when MEXC is disabled: everything comes from Binance whatever the policy says.</param>
    public KlineFetcher(BinanceRestClient binance, MexcRestClient? mexc, ExchangeFallbackPolicy policy, TimeProvider time)
    {
        _binance = binance;
        _mexc = mexc;
        _policy = policy;
        _time = time;
    }

    /// <summary>
    /// Closed candles with <paramref name="fromOpenTime"/> &lt;= open time &lt;= <paramref name="toOpenTime"/> (Unix ms,
    /// inclusive; an unaligned start is rounded up to the next open time). Candles still forming are left out.
    /// Throws <see cref="ExchangeRestException"/> when a page fails <see cref="FallbackOptions.MaxAttemptsPerPage"/>
    /// times, or at once for a bad request (unknown symbol).
    /// </summary>
    public async Task<KlineFetchResult> FetchAsync(string symbol, Timeframe timeframe, long fromOpenTime, long toOpenTime, CancellationToken cancellationToken)
    {
        var ms = timeframe.Milliseconds;
        if (ms <= 0) throw new ArgumentException("Timeframe is not initialised.", nameof(timeframe));
        var next = timeframe.OpenTimeOf(fromOpenTime);
        if (next < fromOpenTime) next += ms;
        var lastClosedOpen = timeframe.OpenTimeOf(_time.GetUtcNow().ToUnixTimeMilliseconds()) - ms;
        var end = Math.Min(timeframe.OpenTimeOf(toOpenTime), lastClosedOpen);

        var candles = new List<Candle>();
        var warnings = new List<string>();
        var rejected = new List<string>();
        var page = new List<Candle>(BinanceRestClient.MaxKlineLimit);
        int binancePages = 0, mexcPages = 0, attempts = 0;
        var complete = true;
        var switches = new StrongBox<int>();
        void OnSwitch(FallbackSwitch _) => Interlocked.Increment(ref switches.Value);
        _policy.Switched += OnSwitch;
        try
        {
            while (next <= end)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var source = _mexc is not null && _policy.Current == ExchangeSource.Mexc ? ExchangeSource.Mexc : ExchangeSource.Binance;
                if (source == ExchangeSource.Mexc && timeframe.MexcName is null)
                {
                    warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{timeframe.Name} unavailable during fallback: Binance is failing ({_policy.Reason}) and MEXC has no {timeframe.Name} candles; stopped before open time {next}."));
                    complete = false;
                    break;
                }

                var limit = (int)Math.Min(BinanceRestClient.MaxKlineLimit, (end - next) / ms + 1);
                attempts++;
                byte[] body;
                try
                {
                    body = source == ExchangeSource.Binance
                        ? await _binance.GetKlinesAsync(symbol, timeframe, next, end, limit, cancellationToken).ConfigureAwait(false)
                        : await _mexc!.GetKlinesAsync(symbol, timeframe, next, end, limit, cancellationToken).ConfigureAwait(false);
                    page.Clear();
                    var rowsBefore = rejected.Count;
                    var format = source == ExchangeSource.Binance ? KlineRowFormat.Binance12 : KlineRowFormat.Mexc8;
                    var candleSource = source == ExchangeSource.Binance ? CandleSource.BinanceRest : CandleSource.MexcRest;
                    if (!KlineRowReader.TryRead(body, format, timeframe, candleSource, page, rejected, out var error))
                    {
                        rejected.RemoveRange(rowsBefore, rejected.Count - rowsBefore);
                        throw source == ExchangeSource.Binance
                            ? new BinanceRestException($"GET /api/v3/klines {symbol} {timeframe.Name}: {error}", HttpStatusCode.OK, null, null, null, ExchangeFailure.BadResponse)
                            : new MexcRestException($"MEXC GET /api/v3/klines {symbol} {timeframe.MexcName}: {error}", HttpStatusCode.OK, null, null, null, ExchangeFailure.BadResponse);
                    }
                    for (var i = rowsBefore; i < rejected.Count; i++)
                        rejected[i] = string.Create(CultureInfo.InvariantCulture, $"{source} {symbol} {timeframe.Name} page from {next}: {rejected[i]}");
                }
                catch (ExchangeRestException ex) when (ex.Failure != ExchangeFailure.BadRequest)
                {
                    if (source == ExchangeSource.Binance) _policy.ReportBinanceFailure(ex);
                    if (attempts >= _policy.Options.MaxAttemptsPerPage) throw;
                    // A switch means the next attempt goes to the other exchange at once; a 429 waits in the budget.
                    var switched = _policy.Current != source;
                    if (!switched && ex.Failure != ExchangeFailure.RateLimited && _policy.Options.RetryDelay > TimeSpan.Zero)
                        await Task.Delay(_policy.Options.RetryDelay, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (source == ExchangeSource.Binance) { _policy.ReportBinanceSuccess(); binancePages++; }
                else mexcPages++;
                attempts = 0;

                var added = 0;
                var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (var candle in page)
                {
                    if (candle.OpenTime < next)
                    {
                        // Already have it (or the exchange ignored startTime): never a duplicate.
                        if (candles.Count > 0 && candle.OpenTime <= candles[^1].OpenTime && candle.OpenTime >= fromOpenTime)
                            rejected.Add(string.Create(CultureInfo.InvariantCulture, $"{source} {symbol} {timeframe.Name}: open time {candle.OpenTime} out of order or duplicate"));
                        continue;
                    }
                    if (candle.OpenTime > end || candle.OpenTime + ms > nowMs) break; // beyond the range, or still forming
                    candles.Add(candle with { Flags = candle.Flags | CandleFlags.Closed });
                    next = candle.OpenTime + ms;
                    added++;
                }
                if (added == 0) break; // the exchange has nothing more in [next, end]
            }

        }
        finally
        {
            _policy.Switched -= OnSwitch;
        }
        // Refused rows leave holes the caller must repair: the result is not complete.
        return new KlineFetchResult(candles, complete && rejected.Count == 0, next, warnings, rejected, binancePages, mexcPages, Volatile.Read(ref switches.Value));
    }
}
