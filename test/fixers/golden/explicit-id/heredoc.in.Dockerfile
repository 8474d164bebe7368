# syntax=docker/dockerfile:1.10
FROM ubuntu:24.04
RUN <<EOF
set -eux
groupadd app
useradd -g app \
  -m app
EOF
RUN <<-SCRIPT bash
	useradd -m runner
SCRIPT
