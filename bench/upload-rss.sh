#!/bin/sh
# Peak memory of the `chorus` server while it takes in one large video, on the S3
# (presigned PUT) and local-disk (one-time URL) paths. Runs the file sizes given in
# MB (default: 500) one after another; see docs/PERFORMANCE.md. Linux only.
#
#   bench/upload-rss.sh            # 500 MB
#   bench/upload-rss.sh 50 500 2000
set -eu
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- 500
for mb in "$@"; do
    UPLOAD_RSS_MB="$mb" cargo bench --bench upload_rss
done
