FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Only the subcommand changes; the rest of the RUN stays as written.
RUN npm install && npm run build
RUN npm ci
RUN npm install -g pm2@5.4.3
COPY . .
CMD ["node", "server.js"]
