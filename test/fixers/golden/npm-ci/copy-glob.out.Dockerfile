FROM node:20.18.0-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
