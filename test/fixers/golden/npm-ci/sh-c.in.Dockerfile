FROM node:20.18.0-slim
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
RUN sudo -u node sh -c 'npm --prefix /app i --silent'
RUN su-exec node sh -ec "npm install --only prod && npm run build"
RUN /bin/bash -c "npm \"install\" --no-audit"
