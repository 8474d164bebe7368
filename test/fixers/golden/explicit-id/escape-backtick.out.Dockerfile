# escape=`
FROM mcr.microsoft.com/devcontainers/base:bookworm
RUN groupadd --gid 10001 app `
 && useradd --uid 10001 `
      -g app -m app
USER app
