FROM debian:12.8-slim
RUN addgroup --system svc \
    && adduser --disabled-password --gecos '' app \
    && adduser --system --group --no-create-home daemon2 \
    && adduser --group builders
USER app
