#!/usr/bin/env bash
# The edge's container: certificates from CLOUDSIGNAL_TLS_DIR (server.crt, server.key; ca.crt for
# clients). When there are none (a first start), a local CA and a self-signed certificate are
# made there (broker-config/make-tls.sh, with CLOUDSIGNAL_TLS_NAMES as extra names); replace them
# with your own files and restart. Then nginx runs on deploy/edge's template in the foreground.
set -euo pipefail
cd /srv/cloudsignal
tls=${CLOUDSIGNAL_TLS_DIR:-/etc/cloudsignal/tls}
if [ ! -f "$tls/server.crt" ]; then
  echo "no certificate in $tls: making a self-signed one for a first start (see README, Deployment)"
  broker-config/make-tls.sh "$tls"
  chmod 644 "$tls/server.key"  # the broker's container copies it for its own user; keep ./tls private
fi
exec python3 deploy/edge/render.py --runtime-dir /run/cloudsignal-edge \
  --api "${CLOUDSIGNAL_API_UPSTREAM:-127.0.0.1:8180}" --streams "${CLOUDSIGNAL_STREAM_UPSTREAM:-127.0.0.1:8182}" \
  --mqtt-ws "${CLOUDSIGNAL_MQTT_WS_UPSTREAM:-127.0.0.1:9101}" \
  --http 0.0.0.0:8080 --ws 0.0.0.0:9001 --tls-dir "$tls" --https 0.0.0.0:8443 --wss 0.0.0.0:9443 \
  --access-log /dev/stdout --workers "${CLOUDSIGNAL_EDGE_WORKERS:-auto}" --exec
