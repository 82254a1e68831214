#!/usr/bin/env bash
# A local CA and a server certificate for 127.0.0.1 and localhost (plus CLOUDSIGNAL_TLS_NAMES), for
# the edge (https, wss) and Mosquitto's MQTTS listener. Clients trust ca.crt.
# Usage: broker-config/make-tls.sh DIR   (writes ca.crt, ca.key, server.crt, server.key)
set -euo pipefail
dir=${1:?usage: make-tls.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -f server.crt ] && exit 0
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=CloudSignal local CA" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
# CLOUDSIGNAL_TLS_NAMES: more names for the certificate, comma-separated DNS names or IP addresses
san="IP:127.0.0.1,DNS:localhost"
IFS=',' read -ra extra <<< "${CLOUDSIGNAL_TLS_NAMES:-}"
for name in "${extra[@]}"; do
  name=$(echo "$name" | tr -d '[:space:]'); [ -n "$name" ] || continue
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san="$san,IP:$name"; else san="$san,DNS:$name"; fi
done
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
  -extfile server.ext -out server.crt 2>/dev/null
rm -f server.csr server.ext
# the broker reads the key after dropping to the mosquitto user
if getent group mosquitto >/dev/null; then chgrp mosquitto server.key; chmod 640 server.key; fi
echo "TLS files in $dir"
