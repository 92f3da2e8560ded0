// helloworld: answers "Hello ${TARGET}!" on $PORT, like Knative's helloworld samples.
import http from 'node:http';

const target = process.env.TARGET || 'World';
const port = Number(process.env.PORT || 8080);

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`Hello ${target}!\n`);
});
server.listen(port, () => console.log(`helloworld: listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
