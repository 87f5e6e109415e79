using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MarketData.Client;

namespace MarketData.Tests.Integration;
#pragma warning disable CA1861 // request bodies written inline read best

/// <summary>The model-facing HTTP routes and CLI commands over a cluster fed live by the fake exchange.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BaseInputHttpTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Base_input_is_served_with_its_quality_report_or_refused_with_422()
    {
        var doc = await Eventually.WaitAsync(async () => JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/base-input/ethusdt?minQuality=0")),
            d => d.RootElement.GetProperty("book").GetProperty("status").GetString() == "synced"
                && d.RootElement.GetProperty("candles").GetProperty("1m").GetProperty("count").GetInt32() > 0,
            "a snapshot of a synced book with candles");
        using (doc)
        {
            var root = doc.RootElement;
            Assert.Equal("ETHUSDT", root.GetProperty("symbol").GetString());
            Assert.Equal("BTCUSDT", root.GetProperty("reference").GetProperty("symbol").GetString());
            var quality = root.GetProperty("quality");
            Assert.InRange(quality.GetProperty("score").GetDouble(), 0, 1);
            foreach (var part in new[] { "completeness", "freshness", "consistency" })
                Assert.False(string.IsNullOrEmpty(quality.GetProperty(part).GetProperty("explanation").GetString()));
            Assert.Equal(4, root.GetProperty("indicators").GetArrayLength());
            Assert.Equal(5, root.GetProperty("pivots").GetProperty("levels").GetArrayLength());
        }

        // As of a time long before any data, the snapshot is empty: refused with the report, not served partially.
        using var refused = await fixture.Http.GetAsync("/api/v1/base-input/ETHUSDT?asOf=1000000000000");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        using var report = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Contains("below the minimum", report.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(report.RootElement.GetProperty("quality").GetProperty("accepted").GetBoolean());
        Assert.NotEqual(0, report.RootElement.GetProperty("quality").GetProperty("problems").GetArrayLength());

        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        foreach (var bad in new[] { "?minQuality=2", "?minQuality=abc", "?minQuality=NaN", "?asOf=-5", "?asOf=x", "?model=no%20spaces", $"?asOf={future}" })
        {
            using var response = await fixture.Http.GetAsync("/api/v1/base-input/ETHUSDT" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetString()));
        }
        using var malformed = await fixture.Http.GetAsync("/api/v1/base-input/DOGE$");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var unknown = await fixture.Http.GetAsync("/api/v1/base-input/DOGEUSDT");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Features_come_as_float32_with_the_layout_version_or_as_json()
    {
        using var layoutDoc = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/feature-layout"));
        var version = layoutDoc.RootElement.GetProperty("version").GetString()!;
        var length = layoutDoc.RootElement.GetProperty("length").GetInt32();
        Assert.Equal(length, layoutDoc.RootElement.GetProperty("features").GetArrayLength());

        using var binary = await fixture.Http.GetAsync("/api/v1/base-input/BTCUSDT/features?minQuality=0");
        Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
        Assert.Equal("application/octet-stream", binary.Content.Headers.ContentType?.MediaType);
        Assert.Equal(version, binary.Headers.GetValues("X-Feature-Layout").Single());
        var bytes = await binary.Content.ReadAsByteArrayAsync();
        Assert.Equal(length * 4, bytes.Length);
        for (var i = 0; i < bytes.Length; i += 4) Assert.True(float.IsFinite(BitConverter.ToSingle(bytes, i)), $"feature {i / 4} is finite");

        using var json = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/base-input/BTCUSDT/features?minQuality=0&format=json"));
        Assert.Equal(version, json.RootElement.GetProperty("layoutVersion").GetString());
        Assert.Equal(length, json.RootElement.GetProperty("values").GetArrayLength());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/base-input/BTCUSDT/features?minQuality=0");
        request.Headers.Accept.ParseAdd("application/json");
        using var negotiated = await fixture.Http.SendAsync(request);
        Assert.Equal("application/json", negotiated.Content.Headers.ContentType?.MediaType);

        using var badFormat = await fixture.Http.GetAsync("/api/v1/base-input/BTCUSDT/features?format=xml");
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        using var refused = await fixture.Http.GetAsync("/api/v1/base-input/BTCUSDT/features?asOf=1000000000000");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        using var unknown = await fixture.Http.GetAsync("/api/v1/base-input/DOGEUSDT/features");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Model_outputs_are_posted_and_read_back_and_bad_ones_get_every_reason()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var accepted = await fixture.Http.PostAsJsonAsync("/api/v1/model-outputs/ETHUSDT/http-cnn",
            new { modelType = "cnn", time = now - 1_000, confidence = 0.8, predictions = new[] { 0.1, 0.9 }, hiddenState = Convert.ToBase64String([7, 8]), metadata = new { epoch = "12" } });
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        using (var receipt = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()))
            Assert.True(receipt.RootElement.GetProperty("sequence").GetInt64() >= 1);

        using var invalid = await fixture.Http.PostAsJsonAsync("/api/v1/model-outputs/ETHUSDT/http-cnn",
            new { modelType = "cnn", time = now + 86_400_000, confidence = 1.5, predictions = Array.Empty<double>() });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        using (var errors = JsonDocument.Parse(await invalid.Content.ReadAsStringAsync()))
        {
            var reasons = errors.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Contains(reasons, r => r.Contains("confidence", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(reasons, r => r.Contains("prediction", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(reasons, r => r.Contains("future", StringComparison.OrdinalIgnoreCase));
        }

        foreach (var (body, why) in new[]
        {
            ("{not json", "malformed JSON"),
            ("""{"modelType":"cnn","confidence":0.5}""", "missing predictions"),
            ("""{"modelType":"cnn","confidence":0.5,"predictions":[1],"hiddenState":"%%%"}""", "bad base64"),
            ("""{"modelType":"cnn","confidence":"high","predictions":[1]}""", "a string for a number"),
        })
        {
            using var response = await fixture.Http.PostAsync("/api/v1/model-outputs/ETHUSDT/http-cnn", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        }
        using var badName = await fixture.Http.PostAsJsonAsync("/api/v1/model-outputs/ETHUSDT/bad$name", new { modelType = "cnn", confidence = 0.5, predictions = new[] { 1.0 } });
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using var unfollowed = await fixture.Http.PostAsJsonAsync("/api/v1/model-outputs/DOGEUSDT/http-cnn", new { modelType = "cnn", confidence = 0.5, predictions = new[] { 1.0 } });
        Assert.Equal(HttpStatusCode.NotFound, unfollowed.StatusCode);

        using var history = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/model-outputs/ETHUSDT?model=http-cnn&limit=10"));
        var stored = Assert.Single(history.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal("Bwg=", stored.GetProperty("hiddenState").GetString());
        Assert.Equal("12", stored.GetProperty("metadata").GetProperty("epoch").GetString());
        using var latest = JsonDocument.Parse(await fixture.Http.GetStringAsync("/api/v1/model-outputs/ETHUSDT"));
        Assert.Contains(latest.RootElement.GetProperty("outputs").EnumerateArray(), o => o.GetProperty("modelName").GetString() == "http-cnn");
        using var badLimit = await fixture.Http.GetAsync("/api/v1/model-outputs/ETHUSDT?model=http-cnn&limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        using var badModel = await fixture.Http.GetAsync("/api/v1/model-outputs/ETHUSDT?model=bad$name");
        Assert.Equal(HttpStatusCode.BadRequest, badModel.StatusCode);
        using var notJson = await fixture.Http.PostAsync("/api/v1/model-outputs/ETHUSDT/http-cnn", new StringContent("modelType=cnn", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task Cli_prints_the_snapshot_and_exits_5_when_quality_is_too_low()
    {
        Task<MarketDataClient> Connect(MarketDataClientOptions _) => Task.FromResult(new MarketDataClient(fixture.Client));
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await Cli.RunAsync(["base-input", "BTCUSDT", "--min-quality", "0"], output, errors, Connect);
        Assert.True(exit == 0, errors.ToString());
        using (var doc = JsonDocument.Parse(output.ToString()))
        {
            Assert.Equal("BTCUSDT", doc.RootElement.GetProperty("symbol").GetString());
            Assert.True(doc.RootElement.TryGetProperty("quality", out _));
        }

        using var refusedOut = new StringWriter();
        using var refusedErr = new StringWriter();
        Assert.Equal(5, await Cli.RunAsync(["base-input", "BTCUSDT", "--as-of", "1000000000000"], refusedOut, refusedErr, Connect));
        using (var report = JsonDocument.Parse(refusedErr.ToString()))
            Assert.False(report.RootElement.GetProperty("quality").GetProperty("accepted").GetBoolean());

        using var featuresOut = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["features", "BTCUSDT", "--min-quality", "0"], featuresOut, errors, Connect));
        Assert.Equal(5, await Cli.RunAsync(["features", "BTCUSDT", "--as-of", "1000000000000"], new StringWriter(), new StringWriter(), Connect));
        Assert.Equal(2, await Cli.RunAsync(["base-input", "BTCUSDT", "--as-of", "0"], new StringWriter(), new StringWriter()));
        Assert.Equal(2, await Cli.RunAsync(["base-input", "BTCUSDT", "--model", "bad$name"], new StringWriter(), new StringWriter()));
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var futureErr = new StringWriter();
        Assert.Equal(2, await Cli.RunAsync(["base-input", "BTCUSDT", "--as-of", future], new StringWriter(), futureErr, Connect));
        Assert.Contains("future", futureErr.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await Cli.RunAsync(["model-outputs", "BTCUSDT", "--model", "nobody", "--limit", "5"], new StringWriter(), errors, Connect));
        Assert.Equal(0, await Cli.RunAsync(["model-outputs", "BTCUSDT"], new StringWriter(), errors, Connect));
        Assert.Equal(2, await Cli.RunAsync(["base-input", "BTCUSDT", "--min-quality", "7"], new StringWriter(), new StringWriter()));
        Assert.Equal(2, await Cli.RunAsync(["base-input"], new StringWriter(), new StringWriter()));
        Assert.Equal(3, await Cli.RunAsync(["base-input", "DOGEUSDT"], new StringWriter(), new StringWriter(), Connect));
    }
}
