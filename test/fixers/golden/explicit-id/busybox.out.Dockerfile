FROM alpine:3.20.3
RUN addgroup -g 10001 -S app && adduser -u 10001 -S -G app -h /srv app
RUN adduser -u 10002 -D -g 'Web user' web
RUN busybox addgroup -g 10003 ops
USER app
