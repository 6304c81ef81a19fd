"""The a2a-sdk 0.3.x Python client against a live quartet Bindu agent.

    python check.py URL a2a|bindu

Runs the client's own calls (card, send, get, cancel, push config, stream,
resubscribe) and checks what they return through the SDK's pydantic models; exits
non-zero on the first surprise. In `bindu` mode only the calls whose answers
A2A clients can read are run: results are snake_case (the SDK's models accept
field names as well as aliases), but stream events are bare objects, not
JSON-RPC responses, and errors come with HTTP 4xx statuses, which the SDK
reports as transport errors: both are checked as such.
"""
import asyncio
import sys
import uuid

import httpx
from a2a.client import A2ACardResolver
from a2a.client.errors import A2AClientHTTPError
from a2a.client.legacy import A2AClient
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    JSONRPCErrorResponse,
    Message,
    MessageSendConfiguration,
    MessageSendParams,
    Part,
    PushNotificationConfig,
    SendMessageRequest,
    SendStreamingMessageRequest,
    SetTaskPushNotificationConfigRequest,
    Task,
    TaskIdParams,
    TaskPushNotificationConfig,
    TaskQueryParams,
    TaskResubscriptionRequest,
    TaskState,
    TaskStatusUpdateEvent,
    TextPart,
    DataPart,
)


def message(text=None):
    part = Part(root=TextPart(text=text)) if text is not None else Part(root=DataPart(data={"q": 1}))
    return Message(role="user", parts=[part], message_id=str(uuid.uuid4()))


def expect(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


async def main(url, mode):
    async with httpx.AsyncClient(timeout=30) as http:
        card = await A2ACardResolver(http, url).get_agent_card()
        expect(card.protocol_version == "0.3.0" and card.skills, "the card parses as an A2A AgentCard")
        client = A2AClient(http, agent_card=card, url=url)

        sent = await client.send_message(SendMessageRequest(id="1", params=MessageSendParams(
            message=message("hello from a2a-sdk"), configuration=MessageSendConfiguration(blocking=True))))
        task = sent.root.result
        expect(isinstance(task, Task) and task.status.state == TaskState.completed, "message/send (blocking) gives a completed Task")
        expect(task.artifacts[0].parts[0].root.text == "hello from a2a-sdk", "the artifact is the echo")

        got = await client.get_task(GetTaskRequest(id="2", params=TaskQueryParams(id=task.id)))
        expect(got.root.result.id == task.id, "tasks/get reads it back")

        waiting = (await client.send_message(SendMessageRequest(id="3", params=MessageSendParams(
            message=message(None), configuration=MessageSendConfiguration(blocking=True))))).root.result
        expect(waiting.status.state == TaskState.input_required, "a data-only message waits for input")
        canceled = await client.cancel_task(CancelTaskRequest(id="4", params=TaskIdParams(id=waiting.id)))
        expect(canceled.root.result.status.state == TaskState.canceled, "tasks/cancel cancels it")

        if mode == "a2a":
            hook = await client.set_task_callback(SetTaskPushNotificationConfigRequest(id="5", params=TaskPushNotificationConfig(
                task_id=task.id, push_notification_config=PushNotificationConfig(url="http://127.0.0.1:9/hook", id="h1"))))
            expect(hook.root.result.task_id == task.id, "tasks/pushNotificationConfig/set answers in A2A shape")

            events = []
            async for e in client.send_message_streaming(SendStreamingMessageRequest(id="6", params=MessageSendParams(message=message("streamed")))):
                events.append(e.root.result)
            expect(isinstance(events[0], Task), "a stream starts with the task")
            expect(isinstance(events[-1], TaskStatusUpdateEvent) and events[-1].final and events[-1].status.state == TaskState.completed,
                   "a stream ends with the final completed status")

            again = [e.root.result async for e in client.resubscribe(TaskResubscriptionRequest(id="7", params=TaskIdParams(id=task.id)))]
            expect(again and again[-1].final, "tasks/resubscribe of a finished task gives its final status")

            missing = await client.get_task(GetTaskRequest(id="8", params=TaskQueryParams(id=str(uuid.uuid4()))))
            expect(isinstance(missing.root, JSONRPCErrorResponse) and missing.root.error.code == -32001, "an unknown task is a JSON-RPC error -32001")
        else:
            try:
                await client.get_task(GetTaskRequest(id="8", params=TaskQueryParams(id=str(uuid.uuid4()))))
                expect(False, "an unknown task is an error")
            except A2AClientHTTPError as e:
                expect(e.status_code == 404, "Bindu mode: an unknown task is HTTP 404 (the SDK raises A2AClientHTTPError)")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
    print("a2a-sdk check passed")
