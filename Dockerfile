# syntax=docker/dockerfile:1

# The builder runs on the build machine's own platform and cross-compiles:
# pff is pure Go (CGO_ENABLED=0), so a multi-arch image needs no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, in their own layer: a source change does not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildDate=${BUILD_DATE}" \
      -o /pff .

# distroless/static: CA certificates, tzdata and a nonroot user (uid 65532),
# no shell, no package manager; about 2 MB before the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /pff /pff
USER nonroot
# 8000: HTTP API (pff serve). 8001: /health and /metrics of pff worker.
EXPOSE 8000 8001
# Exec form: the image has no shell and no curl; pff probes itself.
# `pff worker` containers override this with --url http://127.0.0.1:8001/health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/pff", "healthcheck"]
ENTRYPOINT ["/pff"]
CMD ["serve"]
