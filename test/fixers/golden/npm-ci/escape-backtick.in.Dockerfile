# escape=`
FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm `
      --loglevel=warn `
      install `
      --production `
 && npm run build
