// Drives the official Dapr JavaScript SDK's HTTP actor client against a recording listener that stands in
// for daprd (argument: its port). The C# differential test sends the same operations through our sidecar
// client to the same listener and compares the recorded requests. Operations run one after another, in
// this order: invoke, state transaction, state get, register reminder, unregister reminder.
"use strict";
const { DaprClient, CommunicationProtocolEnum, ActorId } = require("@dapr/dapr");
const ActorClientHTTP = require("@dapr/dapr/actors/client/ActorClient/ActorClientHTTP").default;
const { Temporal } = require("@js-temporal/polyfill");

async function main() {
  const port = process.argv[2];
  const client = new DaprClient({
    daprHost: "127.0.0.1",
    daprPort: port,
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    daprApiToken: "tok",
    logger: { level: 0 },
  });
  await client.start();
  const actors = new ActorClientHTTP(client.daprClient);
  const id = new ActorId("c-1");
  await actors.invoke("CustomerActor", id, "Handle", { id: "e1" });
  await actors.stateTransaction("CustomerActor", id, [
    { operation: "upsert", request: { key: "k", value: { a: 1 } } },
    { operation: "delete", request: { key: "old" } },
  ]);
  await actors.stateGet("CustomerActor", id, "k");
  await actors.registerActorReminder("CustomerActor", id, "rescore", {
    period: Temporal.Duration.from({ hours: 24 }),
    dueTime: Temporal.Duration.from({ seconds: 10 }),
    data: { why: "renewal" },
  });
  await actors.unregisterActorReminder("CustomerActor", id, "rescore");
  await client.stop();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
