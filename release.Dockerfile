# syntax=docker/dockerfile:1

# The release image, built by GoReleaser (.goreleaser.yaml, dockers_v2) from
# the binaries it has already built and checksummed: no compiler here. Use the
# Dockerfile to build an image from source; deploy_test.go keeps the two
# runtime stages alike.

# RUNTIME is the Dockerfile's runtime image, which GoReleaser reads from it.
ARG RUNTIME
FROM ${RUNTIME}
# GoReleaser's build context holds linux/amd64/pff and linux/arm64/pff.
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/pff /pff
USER nonroot
# 8000: HTTP API (pff serve). 8001: /health and /metrics of pff worker.
EXPOSE 8000 8001
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/pff", "healthcheck"]
ENTRYPOINT ["/pff"]
CMD ["serve"]
