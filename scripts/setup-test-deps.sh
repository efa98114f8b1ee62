#!/usr/bin/env bash
# Filled in by the test-servers work: Debian packages and tools the test servers need.
set -euo pipefail
