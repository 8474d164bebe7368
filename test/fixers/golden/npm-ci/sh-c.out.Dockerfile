FROM node:20.18.0-slim
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
RUN sudo -u node sh -c 'npm --prefix /app ci --silent'
RUN su-exec node sh -ec "npm ci --omit dev && npm run build"
RUN /bin/bash -c "npm \"ci\" --no-audit"
