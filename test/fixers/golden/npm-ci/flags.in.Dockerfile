FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --production --no-audit --no-fund --loglevel warn
RUN npm i --only=production --ignore-scripts --legacy-peer-deps -q
RUN npm isntall --omit dev --prefer-offline --cache /tmp/npm-cache --registry=https://registry.npmjs.org/
RUN npm install --only prod --include=optional --foreground-scripts --silent
RUN NODE_ENV=production npm install --prod --no-progress --force
RUN npm add --dev --no-bin-links
RUN npm in --also development --strict-peer-deps
# Left alone: these flags only mean something to `npm install`.
RUN npm install --no-save
RUN npm install --package-lock-only
RUN npm install --save-exact --no-audit
