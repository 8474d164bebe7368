FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel warn
RUN npm ci --omit=dev --ignore-scripts --legacy-peer-deps -q
RUN npm ci --omit dev --prefer-offline --cache /tmp/npm-cache --registry=https://registry.npmjs.org/
RUN npm ci --omit dev --include=optional --foreground-scripts --silent
RUN NODE_ENV=production npm ci --omit=dev --no-progress --force
RUN npm ci --include=dev --no-bin-links
RUN npm ci --include dev --strict-peer-deps
# Left alone: these flags only mean something to `npm install`.
RUN npm install --no-save
RUN npm install --package-lock-only
RUN npm install --save-exact --no-audit
