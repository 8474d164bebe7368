FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN ["npm", "ci", "--omit=dev"]
RUN ["/bin/sh", "-c", "npm ci --no-audit && npm run build"]
