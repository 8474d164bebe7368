FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm config set fund false \
    # production dependencies only
    && npm ci \
       # no dev tools
       --omit=dev
