// CALL-E web page: send a chat to /v1/chat-images (an export file to /v1/chat-images/upload) and
// show the streamed summary, then the image.
// EventSource cannot POST, so the Server-Sent Events are read from fetch()'s ReadableStream.
"use strict";

const $ = (id) => document.getElementById(id);

const form = $("chat-form");
const fileInput = $("chat-file");
const dropZone = $("drop-zone");
const textInput = $("chat-text");
let chosenFile = null;

function chooseFile(file) {
  chosenFile = file || null;
  $("file-name").textContent = chosenFile ? `선택한 파일: ${chosenFile.name}` : "";
}

fileInput.addEventListener("change", () => chooseFile(fileInput.files[0]));

for (const name of ["dragenter", "dragover"]) {
  dropZone.addEventListener(name, (event) => {
    event.preventDefault();
    dropZone.classList.add("dragging");
  });
}
for (const name of ["dragleave", "drop"]) {
  dropZone.addEventListener(name, () => dropZone.classList.remove("dragging"));
}
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  chooseFile(event.dataTransfer.files[0]);
});

function setStatus(text) {
  $("status").textContent = text;
}

function showError(error) {
  const box = $("error");
  const id = error.request_id ? ` (요청 ID: ${error.request_id})` : "";
  box.textContent = `${error.message_ko}${id}`;
  box.hidden = false;
  setStatus("");
}

function resetResults() {
  $("error").hidden = true;
  for (const id of ["summary-section", "image-section"]) {
    $(id).hidden = true;
    delete $(id).dataset.arrivedAt;
  }
  $("result-image").removeAttribute("src");
  $("download").removeAttribute("href");
}

function formatTime(iso) {
  return iso ? iso.replace("T", " ").slice(0, 16) : "";
}

function showSummary(summary) {
  $("summary-text").textContent = summary.summary;
  const span = summary.start ? ` · ${formatTime(summary.start)} ~ ${formatTime(summary.end)}` : "";
  $("summary-meta").textContent =
    `최근 대화 메시지 ${summary.message_count}개 · 참여자 ${summary.speaker_count}명${span}`;
  $("summary-section").dataset.arrivedAt = String(performance.now());
  $("summary-section").hidden = false;
  setStatus("요약 완료. 그림을 그리는 중…");
}

function showImage(image) {
  const url = `data:${image.media_type};base64,${image.image_base64}`;
  $("result-image").src = url;
  $("download").href = url;
  $("image-meta").textContent = `시드 ${image.seed}`;
  $("image-section").dataset.arrivedAt = String(performance.now());
  $("image-section").hidden = false;
}

// The route and fetch() options: a chosen file is uploaded, pasted text is sent as JSON.
function buildRequest() {
  const headers = { Accept: "text/event-stream" };
  const key = $("api-key").value.trim();
  if (key) headers["X-API-Key"] = key;
  const seed = $("seed").value.trim();
  if (chosenFile) {
    const body = new FormData();
    body.append("file", chosenFile);
    if (seed) body.append("seed", seed);
    return { url: "/v1/chat-images/upload", options: { method: "POST", headers, body } };
  }
  const payload = { chat: textInput.value };
  if (seed) payload.image = { seed: Number(seed) };
  headers["Content-Type"] = "application/json";
  const options = { method: "POST", headers, body: JSON.stringify(payload) };
  return { url: "/v1/chat-images", options };
}

// Yields {event, data} for each complete event in the stream.
async function* serverSentEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    // Only complete CRLF pairs are folded: a CR at a chunk's end waits for its LF.
    buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: data.join("\n") };
    }
  }
}

async function errorOf(response) {
  try {
    return (await response.json()).error;
  } catch {
    return { message_ko: `서버 오류가 발생했습니다 (HTTP ${response.status}).` };
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  resetResults();
  if (!chosenFile && !textInput.value.trim()) {
    showError({ message_ko: "대화 내보내기 파일을 고르거나 대화 내용을 붙여 넣어 주세요." });
    return;
  }
  $("submit").disabled = true;
  setStatus("대화를 읽고 요약하는 중…");
  try {
    const { url, options } = buildRequest();
    const response = await fetch(url, options);
    if (!response.ok) {
      showError(await errorOf(response));
      return;
    }
    for await (const { event: name, data } of serverSentEvents(response)) {
      const payload = JSON.parse(data);
      if (name === "summary") showSummary(payload);
      else if (name === "image") showImage(payload);
      else if (name === "error") showError(payload.error);
      else if (name === "done") setStatus("완료!");
    }
  } catch (error) {
    showError({ message_ko: `서버에 연결할 수 없습니다: ${error.message}` });
  } finally {
    $("submit").disabled = false;
  }
});
