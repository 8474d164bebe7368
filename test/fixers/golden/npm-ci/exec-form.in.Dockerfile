FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN ["npm", "install", "--production"]
RUN ["/bin/sh", "-c", "npm i --no-audit && npm run build"]
