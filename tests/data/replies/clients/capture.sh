#!/bin/sh
# Stands in for sendmail: keeps the message the client would send.
out=${WORK:?}/out/$(date +%s%N).eml
mkdir -p "${WORK:?}/out"
cat > "$out"
exit 0
