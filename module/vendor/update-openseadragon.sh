#!/bin/sh
# Vendors OpenSeadragon from the npm registry into module/vendor/openseadragon: the minified build, its button images
# and its licence. Export-HeatmapReport copies them into every report with a slide viewer, so a report opens offline.
# Run from anywhere: ./module/vendor/update-openseadragon.sh [version]
set -eu
version="${1:-6.1.1}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "openseadragon@$version" >/dev/null && tar xzf "openseadragon-$version.tgz")
rm -rf "$here/openseadragon"
mkdir -p "$here/openseadragon/images"
cp "$work/package/build/openseadragon/openseadragon.min.js" "$here/openseadragon/"
cp "$work/package/build/openseadragon/images/"*.png "$here/openseadragon/images/"
cp "$work/package/LICENSE.txt" "$here/openseadragon/LICENSE.txt"
echo "$version" > "$here/openseadragon/VERSION"
