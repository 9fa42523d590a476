#!/usr/bin/env bash
# Packs the library into a folder feed, copies this sample outside the repository, restores it from that feed (plus
# nuget.org), builds it, runs it on a shipped image with the shipped model and checks what it prints.
# Usage: samples/csharp-detect/run.sh   (CI runs it from .ci/run; about a minute when the library is built)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d)
# A version of its own, so a package of the same name already in the NuGet cache is never used instead.
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S).$$"
packages=$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: *//')
# Removes the temporary folder and the one cache entry this run restored.
trap 'rm -rf "$work" "${packages%/}/cornernet/$version"' EXIT

dotnet pack "$repo/src/CornerNet" -c Release -o "$work/feed" -p:PackageVersion="$version" -nologo -v quiet
cp -r "$repo/samples/csharp-detect" "$work/sample"
rm -rf "$work/sample/bin" "$work/sample/obj"
cat > "$work/sample/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG
dotnet build "$work/sample" -c Release -p:CornerNetVersion="$version" -nologo -v quiet

image="$repo/samples/images/000007.png"
output=$(dotnet "$work/sample/bin/Release/net10.0/csharp-detect.dll" "$repo/models/shapes-tiny.safetensors" "$image")
echo "$output"
# One line per detection, "CLASS SCORE [X1, Y1, X2, Y2]", with the shipped model's class names.
classes='(circle|triangle|ring|cross|star|diamond)'
if ! grep -Eq "^$classes [01]\.[0-9]{2} \[-?[0-9]+, -?[0-9]+, -?[0-9]+, -?[0-9]+\]$" <<<"$output"; then
  echo "csharp-detect: no detection printed for $image" >&2
  exit 1
fi
if grep -Evq "^$classes [01]\.[0-9]{2} \[" <<<"$output"; then
  echo "csharp-detect: unexpected output line" >&2
  exit 1
fi
echo "csharp-detect: the packed library ran outside the repository ($version)"
