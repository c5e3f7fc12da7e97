#!/bin/sh
# Stands in for python3 when CMake found none: fail under CI, skip elsewhere.
. "$(dirname "$0")/../lib/test.sh"
skip "python3 is missing (apt-get install python3)"
