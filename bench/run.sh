#!/usr/bin/env bash
# Runs the standard benchmark suite (Hourglass-104 at 511, random weights, threads = cores) through the CLI and writes
# the JSON records and machine description. Usage: bench/run.sh [OUT.json] [extra `cornernet bench` options]
# Run from anywhere; the `evaluate_big` figure uses ../shared/fixtures/cocoeval/big relative to the repository root.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/results.json}"
shift || true
out="$(realpath -m "$out")"
cd "$root"
dotnet build src/CornerNet.Cli/CornerNet.Cli.csproj -c Release -v quiet -nologo >/dev/null
# libtorch prints one NNPACK warning per small convolution on CPUs NNPACK does not support; keep them out of the log.
src/CornerNet.Cli/bin/Release/net10.0/CornerNet.Cli bench --suite standard --json "$out" "$@" 2> >(grep -v "NNPACK" >&2)
