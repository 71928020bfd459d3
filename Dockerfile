# cohortd: one static binary, one data file, one YAML config.
#
#   docker build -t cohortd .
#   docker run -d --name cohortd -p 8080:8080 -v cohortd-data:/data \
#     -v $PWD/cohortd.yaml:/etc/cohortd/cohortd.yaml:ro cohortd
#
# The binary is built exactly as `make build` builds it (CGO_ENABLED=0, -trimpath); CI builds it
# the same way.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/cohortd ./cmd/cohortd \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cohortd /usr/local/bin/cohortd
COPY examples/cohortd.yaml /etc/cohortd/cohortd.yaml
# /data belongs to the non-root user so the daemon can create its 0600 data file there.
COPY --from=build --chown=65532:65532 /out/data /data
ENV COHORTD_CONFIG=/etc/cohortd/cohortd.yaml \
    COHORTD_DATA_DIR=/data \
    COHORTD_LISTEN=0.0.0.0:8080
USER 65532:65532
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/cohortd", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/cohortd"]
CMD ["run"]
