// A Dapr actor app built with the official JavaScript SDK (arguments: its port, daprd's port), hosting
// actor type "probe" with the same methods as AgentCrm's test ProbeActor. The C# differential test sends
// daprd-style requests to it and to our app and compares status codes and bodies. Prints "ready" once listening.
"use strict";
const { DaprServer, CommunicationProtocolEnum, AbstractActor } = require("@dapr/dapr");

// The SDK names the actor type after the class: "probe", as our test actor type is called.
// eslint-disable-next-line @typescript-eslint/naming-convention
class probe extends AbstractActor {
  async increment() {
    const count = ((await this.getStateManager().tryGetState("count"))[1] ?? 0) + 1;
    await this.getStateManager().setState("count", count);
    return count;
  }
  async set(value) {
    await this.getStateManager().setState("value", value);
  }
  async get() {
    const [found, value] = await this.getStateManager().tryGetState("value");
    return found ? value : null;
  }
  async receiveReminder(data) {
    console.log("reminder " + JSON.stringify(data));
  }
  async onTimer(data) {
    console.log("timer " + JSON.stringify(data));
  }
}

async function main() {
  const [port, daprPort] = process.argv.slice(2);
  const server = new DaprServer({
    serverHost: "127.0.0.1",
    serverPort: port,
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    clientOptions: { daprHost: "127.0.0.1", daprPort: daprPort, communicationProtocol: CommunicationProtocolEnum.HTTP },
    logger: { level: 0 },
  });
  await server.actor.init();
  server.actor.registerActor(probe);
  await server.start();
  console.log("ready");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
