#!/usr/bin/env bash
# Installs what QuantLab needs to build on Debian/Ubuntu: libcmark (the CommonMark C library),
# SQLite's headers (libsqlite3-dev) and pkg-config. Swift 6 itself must already be installed (https://www.swift.org/install/).
set -euo pipefail

need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ! pkg-config --exists libcmark 2>/dev/null && [ ! -f /usr/include/cmark.h ]; then
  need+=(libcmark-dev)
fi
# SQLite's headers: GRDB (the progress store) builds against the system SQLite.
if ! pkg-config --exists sqlite3 2>/dev/null && [ ! -f /usr/include/sqlite3.h ]; then
  need+=(libsqlite3-dev)
fi
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift not found; install Swift 6 (https://www.swift.org/install/) and try again" >&2
  exit 1
fi
