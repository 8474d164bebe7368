FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm config set fund false \
    # production dependencies only
    && npm install \
       # no dev tools
       --production
