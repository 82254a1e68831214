#!/usr/bin/env bash
# `make run`: the whole system on this machine. The service as two gunicorn instances from one
# app: the public API on CLOUDSIGNAL_BIND (127.0.0.1:8080) and the broker's endpoints on
# CLOUDSIGNAL_INTERNAL_BIND (127.0.0.1:8081, or a unix socket path), so public traffic never
# delays a CONNECT decision; and Mosquitto with the plugin: MQTT on 1883, WebSockets on 9001,
# TLS on 8883 once `make tls` ran. Metrics of both instances go to var/metrics; /metrics on
# either port adds them up.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
mkdir -p var
export CLOUDSIGNAL_BIND=${CLOUDSIGNAL_BIND:-127.0.0.1:8080}
export CLOUDSIGNAL_INTERNAL_BIND=${CLOUDSIGNAL_INTERNAL_BIND:-127.0.0.1:8081}
export CLOUDSIGNAL_METRICS_DIR=${CLOUDSIGNAL_METRICS_DIR:-$PWD/var/metrics}

"$bin/cloudsignal-server" init
tls_args=()
if [ -f var/tls/server.crt ]; then tls_args=(--tls-port 8883 --tls-dir var/tls); fi
config=$("$bin/cloudsignal-server" broker-config --dir var/mosquitto \
  --service-url "http://$CLOUDSIGNAL_INTERNAL_BIND" "${tls_args[@]}")
export CLOUDSIGNAL_BROKER_SECRET_FILE=var/mosquitto/broker-secret

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

CLOUDSIGNAL_ROLE=internal "$bin/gunicorn" -c gunicorn.conf.py wsgi:app &
pids+=($!)
echo "Broker endpoints: $CLOUDSIGNAL_INTERNAL_BIND (pid $!)"
mosquitto -c "$config" &
pids+=($!)
echo "Broker: mqtt://127.0.0.1:1883, ws://127.0.0.1:9001/mqtt (pid $!)"
CLOUDSIGNAL_ROLE=public "$bin/gunicorn" -c gunicorn.conf.py wsgi:app &
pids+=($!)
echo "API: http://$CLOUDSIGNAL_BIND (pid $!)"
# Stop everything when any of the three stops.
wait -n "${pids[@]}"
