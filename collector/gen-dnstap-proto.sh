#!/bin/sh
# Regenerate collector/dnstap.pb-c.c and collector/dnstap.pb-c.h from
# collector/dnstap.proto with protoc-c (Debian package protobuf-c-compiler).
# The generated files are committed so that building Floodwatch needs only
# the libprotobuf-c runtime (libprotobuf-c-dev), not the compiler.  Run from
# the project root after editing the .proto:  sh collector/gen-dnstap-proto.sh
set -eu
cd collector
protoc-c --c_out=. dnstap.proto
echo "regenerated collector/dnstap.pb-c.c collector/dnstap.pb-c.h ($(protoc-c --version | head -1))"
