#!/usr/bin/env bash
# The main job: set up, then describe and compare faces in the sample images.
# (Once the server lands, this runs `candor serve` on its embedded store.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tools/setup.sh
data="${CANDOR_DATA:-$root/../shared/data}"
./build/candor detect --attributes ALL "$data/video/two_people.jpg"
./build/candor compare "$data/video/obama.jpg" "$data/video/two_people.jpg"
