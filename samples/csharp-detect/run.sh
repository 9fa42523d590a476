#!/usr/bin/env bash
# Builds this sample outside the repository against the library, runs it on a shipped image with the shipped model
# and checks what it prints. How the sample reaches the library:
#   package          (default, what CI runs) a PackageReference: the library is packed into a folder feed, and the
#                    sample restores from that feed plus nuget.org
#   project          a ProjectReference to src/CornerNet/CornerNet.csproj
#   through-project  a ProjectReference to a library project that has the PackageReference
# Usage: samples/csharp-detect/run.sh [package|project|through-project]   (1-2 minutes when the library is built)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-package}
case "$mode" in
  package | project | through-project) ;;
  *) echo "usage: samples/csharp-detect/run.sh [package|project|through-project]" >&2; exit 2 ;;
esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d)
# A version of its own, so a package of the same name already in the NuGet cache is never used instead.
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S).$$"
packages=$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: *//')
# Removes the temporary folder and the one cache entry this run restored.
trap 'rm -rf "$work" "${packages%/}/cornernet/$version"' EXIT

cp -r "$repo/samples/csharp-detect" "$work/sample"
rm -rf "$work/sample/bin" "$work/sample/obj"
csproj="$work/sample/csharp-detect.csproj"
package_reference='<PackageReference Include="CornerNet" Version="$(CornerNetVersion)" />'
grep -qF "$package_reference" "$csproj"
if [[ "$mode" != project ]]; then
  dotnet pack "$repo/src/CornerNet" -c Release -o "$work/feed" -p:PackageVersion="$version" -nologo -v quiet
  # In the folder above both projects, so the sample and the middle project restore from the feed.
  cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG
fi
case "$mode" in
  project)
    sed -i "s|$package_reference|<ProjectReference Include=\"$repo/src/CornerNet/CornerNet.csproj\" />|" "$csproj" ;;
  through-project)
    mkdir "$work/middle"
    cat > "$work/middle/Middle.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <CornerNetVersion Condition="'\$(CornerNetVersion)' == ''">0.1.0</CornerNetVersion>
  </PropertyGroup>
  <ItemGroup>
    $package_reference
  </ItemGroup>
</Project>
PROJECT
    sed -i "s|$package_reference|<ProjectReference Include=\"../middle/Middle.csproj\" />|" "$csproj" ;;
esac
dotnet build "$work/sample" -c Release -p:CornerNetVersion="$version" -nologo -v quiet

image="$repo/samples/images/000007.png"
model="$repo/models/shapes-tiny.safetensors"
# Invariant culture: scores print as 0.76 whatever this machine's locale.
sample="$work/sample/bin/Release/net10.0/csharp-detect.dll"
output=$(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 dotnet "$sample" "$model" "$image")
head -n 5 <<<"$output"
echo "… $(wc -l <<<"$output") detections in all"
# Every line is "CLASS SCORE [X1, Y1, X2, Y2]", with the shipped model's class names.
line='^(circle|triangle|ring|cross|star|diamond) [01]\.[0-9]{2} \[-?[0-9]+, -?[0-9]+, -?[0-9]+, -?[0-9]+\]$'
if [[ -z "$output" ]] || grep -Evq "$line" <<<"$output"; then
  echo "csharp-detect: expected one 'CLASS SCORE [X1, Y1, X2, Y2]' line per detection" >&2
  exit 1
fi
# The same objects as the repository's own CLI, which lists the first 8 above its 0.3 threshold (--flip: the C#
# default, DetectionOptions.Flip, is the paper's flip test).
cli="$repo/src/CornerNet.Cli/bin/Release/net10.0/CornerNet.Cli.dll"
cornernet=(dotnet "$cli")
[[ -f "$cli" ]] || cornernet=(dotnet run --project "$repo/src/CornerNet.Cli" -c Release --)
expected=$("${cornernet[@]}" detect "$model" "$image" --flip 2>/dev/null | sed -n 1p \
  | sed -E 's/^.*object\(s\) — //; s/, and [0-9]+ more$//')
actual=$(awk '$2 >= 0.30 && n < 8 { print $1 " " $2; n++ }' <<<"$output" | paste -sd, - | sed 's/,/, /g')
if [[ "$actual" != "$expected" ]]; then
  echo "csharp-detect: found '$actual', cornernet detect found '$expected'" >&2
  exit 1
fi
echo "csharp-detect ($mode): the library ran outside the repository and found what cornernet detect finds"
