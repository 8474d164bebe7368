# syntax=docker/dockerfile:1.10
FROM ubuntu:24.04
RUN <<EOF
set -eux
groupadd --gid 10001 app
useradd --uid 10001 -g app \
  -m app
EOF
RUN <<-SCRIPT bash
	useradd --uid 10002 -m runner
SCRIPT
