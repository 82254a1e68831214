# The edge: Debian's nginx with deploy/edge's configuration (the same template as `make run`).
FROM debian:12-slim
WORKDIR /srv/cloudsignal
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY Makefile ./
COPY deploy/edge ./deploy/edge
COPY deploy/edge-entrypoint.sh ./deploy/
COPY broker-config/make-tls.sh ./broker-config/
RUN make apt APT_PACKAGES="nginx python3 openssl" && rm -rf /var/lib/apt/lists/*
EXPOSE 8080 8443 9001 9443
ENTRYPOINT ["bash", "deploy/edge-entrypoint.sh"]
