# syntax=docker/dockerfile:1
FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN <<EOF
set -eux
npm ci --omit=dev
npm cache clean --force
EOF
RUN <<-'SETUP' bash
	npm ci --no-fund
	SETUP
# Data, not a command: a here-document written to a file is left alone.
RUN cat > /usr/local/bin/reinstall <<'SCRIPT'
#!/bin/sh
npm install
SCRIPT
