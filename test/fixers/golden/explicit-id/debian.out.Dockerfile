FROM debian:12.8-slim
RUN addgroup --gid 10001 --system svc \
    && adduser --uid 10002 --disabled-password --gecos '' app \
    && adduser --uid 10003 --system --group --no-create-home daemon2 \
    && adduser --gid 10004 --group builders
USER app
