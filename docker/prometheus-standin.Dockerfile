# A stand-in for prom/prometheus where no image registry is reachable (scripts/docker-e2e.sh builds
# it only when PROMETHEUS_IMAGE cannot be found or pulled): Debian's prometheus package, with the
# official image's entrypoint (/bin/prometheus) and data folder (/prometheus).
FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus /etc/prometheus && chown nobody:nogroup /prometheus
USER nobody
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
