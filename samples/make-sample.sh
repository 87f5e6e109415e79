#!/usr/bin/env bash
# One-off: builds binance-spot-btcusdt-ethusdt-2m.rec.gz from hftbacktest's spot recordings (see README.md).
# Usage: samples/make-sample.sh [DATA_DIR]   (default: ../shared/data/hftbacktest relative to the repository root)
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-$here/../../shared/data/hftbacktest}"
seconds=120
out="$here/binance-spot-btcusdt-ethusdt-2m.rec.gz"

# Cut the first $seconds seconds of one symbol's 0808 file (which starts with the collector's
# connection, so it holds the REST snapshot line) and rewrite each line into the project's format:
#   <ns> <json>  ->  <ns> ws <json>   or   <ns> rest:depth:SYMBOL <json>  for the REST body.
# The cut compares whole seconds (the first 10 of the 19 digits): awk numbers are doubles, exact only to 2^53.
cut_symbol() {
  local symbol="$1" file="$2"
  gzip -dc "$file" | awk -v sym="$symbol" -v secs="$seconds" '
    NR == 1 { end = substr($1, 1, 10) + secs }
    substr($1, 1, 10) + 0 >= end { next }  # read to the end rather than exit: no SIGPIPE under pipefail
    {
      if (index($0, "\r") > 0) { print "line " NR " holds a carriage return" > "/dev/stderr"; exit 1 }
      json = substr($0, length($1) + 2)
      source = (json ~ /^\{"lastUpdateId"/) ? "rest:depth:" sym : "ws"
      print $1 " " source " " json
    }'
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cut_symbol BTCUSDT "$data/binance-spot_btcusdt_20240808.gz" > "$tmp/btc"
cut_symbol ETHUSDT "$data/binance-spot_ethusdt_20240808.gz" > "$tmp/eth"
# Both inputs are in receive order and every timestamp has 19 digits, so a text merge on the first
# field is a merge by receive time; -s keeps BTCUSDT first on equal timestamps.
sort -m -s -t ' ' -k1,1 "$tmp/btc" "$tmp/eth" | gzip -9 -n > "$out"
echo "BTCUSDT lines: $(wc -l < "$tmp/btc"), ETHUSDT lines: $(wc -l < "$tmp/eth"), total: $(gzip -dc "$out" | wc -l)"
ls -l "$out"
