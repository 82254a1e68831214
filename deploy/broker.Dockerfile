# Debian's Mosquitto with the cloudsignal_auth plugin, built with the same Makefile steps as `make run`.
FROM debian:12-slim
WORKDIR /srv/cloudsignal
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY Makefile ./
COPY broker-config ./broker-config
COPY deploy/broker-entrypoint.py ./deploy/
RUN make apt plugin APT_PACKAGES="python3 mosquitto mosquitto-dev libcjson-dev libcurl4-openssl-dev uthash-dev \
    libssl-dev pkg-config gcc make" && rm -rf /var/lib/apt/lists/*
EXPOSE 1883 8883
ENTRYPOINT ["python3", "deploy/broker-entrypoint.py"]
