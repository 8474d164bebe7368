FROM alpine:3.20.3
RUN addgroup -S app && adduser -S -G app -h /srv app
RUN adduser -D -g 'Web user' web
RUN busybox addgroup ops
USER app
