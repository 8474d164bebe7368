FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN set -eux; \
    npm install \
        --production \
        --no-audit; \
    npm cache clean --force
CMD ["node", "server.js"]
