# escape=`
FROM mcr.microsoft.com/devcontainers/base:bookworm
RUN groupadd app `
 && useradd `
      -g app -m app
USER app
