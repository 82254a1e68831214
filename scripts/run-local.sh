#!/usr/bin/env bash
# `make run`: the whole system on this machine, behind one edge (Debian's nginx, deploy/edge):
#   http://127.0.0.1:8080 (API), ws://127.0.0.1:9001/mqtt (MQTT over WebSockets), and after
#   `make tls` https://127.0.0.1:8443 and wss://127.0.0.1:9443/mqtt, with mqtt://127.0.0.1:1883 and
#   mqtts://127.0.0.1:8883 from Mosquitto itself.
# Behind the edge, on loopback only: the service as three gunicorn instances from one app: the
# public API on CLOUDSIGNAL_BIND (127.0.0.1:8180), the live event streams on
# CLOUDSIGNAL_STREAM_BIND (127.0.0.1:8182) and the broker's endpoints on CLOUDSIGNAL_INTERNAL_BIND
# (127.0.0.1:8081, never routed by the edge), so public traffic never delays a CONNECT decision;
# Mosquitto's WebSockets listener on 127.0.0.1:9101. Metrics of all instances go to var/metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
mkdir -p var
export CLOUDSIGNAL_BIND=${CLOUDSIGNAL_BIND:-127.0.0.1:8180}
export CLOUDSIGNAL_STREAM_BIND=${CLOUDSIGNAL_STREAM_BIND:-127.0.0.1:8182}
export CLOUDSIGNAL_INTERNAL_BIND=${CLOUDSIGNAL_INTERNAL_BIND:-127.0.0.1:8081}
export CLOUDSIGNAL_METRICS_DIR=${CLOUDSIGNAL_METRICS_DIR:-$PWD/var/metrics}
export CLOUDSIGNAL_TRUSTED_PROXIES=${CLOUDSIGNAL_TRUSTED_PROXIES:-1}  # the edge
edge_http=${CLOUDSIGNAL_EDGE_HTTP:-127.0.0.1:8080}
edge_https=${CLOUDSIGNAL_EDGE_HTTPS:-127.0.0.1:8443}
edge_ws=${CLOUDSIGNAL_EDGE_WS:-127.0.0.1:9001}
edge_wss=${CLOUDSIGNAL_EDGE_WSS:-127.0.0.1:9443}
broker_ws_port=${CLOUDSIGNAL_BROKER_WS_PORT:-9101}

"$bin/cloudsignal-server" init
tls_args=()
edge_tls=()
if [ -f var/tls/server.crt ]; then
  tls_args=(--tls-port 8883 --tls-dir var/tls)
  edge_tls=(--tls-dir var/tls --https "$edge_https" --wss "$edge_wss")
fi
config=$("$bin/cloudsignal-server" broker-config --dir var/mosquitto --ws-port "$broker_ws_port" \
  --service-url "http://$CLOUDSIGNAL_INTERNAL_BIND" "${tls_args[@]}")
export CLOUDSIGNAL_BROKER_SECRET_FILE=var/mosquitto/broker-secret
edge_config=$("$bin/python" deploy/edge/render.py --runtime-dir var/edge --api "$CLOUDSIGNAL_BIND" \
  --streams "$CLOUDSIGNAL_STREAM_BIND" --mqtt-ws "127.0.0.1:$broker_ws_port" --http "$edge_http" \
  --ws "$edge_ws" "${edge_tls[@]}" --access-log /dev/stdout --workers "${CLOUDSIGNAL_EDGE_WORKERS:-2}")
nginx -t -q -p var/edge -c "$edge_config" -e "$PWD/var/edge/error.log"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

CLOUDSIGNAL_ROLE=internal "$bin/gunicorn" -c gunicorn.conf.py wsgi:app &
pids+=($!)
echo "Broker endpoints: $CLOUDSIGNAL_INTERNAL_BIND, loopback only (pid $!)"
mosquitto -c "$config" &
pids+=($!)
echo "Broker: mqtt://127.0.0.1:1883$([ ${#tls_args[@]} -gt 0 ] && echo ", mqtts://127.0.0.1:8883") (pid $!)"
CLOUDSIGNAL_ROLE=public "$bin/gunicorn" -c gunicorn.conf.py wsgi:app &
pids+=($!)
CLOUDSIGNAL_ROLE=stream "$bin/gunicorn" -c gunicorn.conf.py wsgi:app &
pids+=($!)
nginx -p var/edge -c "$edge_config" -e "$PWD/var/edge/error.log" &
pids+=($!)
echo "Edge (nginx, pid $!): API http://$edge_http, MQTT ws://$edge_ws/mqtt"
if [ ${#edge_tls[@]} -gt 0 ]; then
  echo "  with TLS (CA: var/tls/ca.crt): https://$edge_https, wss://$edge_wss/mqtt"
else
  echo "  run 'make tls' for https://$edge_https, wss://$edge_wss/mqtt and mqtts://127.0.0.1:8883"
fi
# Stop everything when any of them stops.
wait -n "${pids[@]}"
