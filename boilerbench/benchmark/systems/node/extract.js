// Mozilla's Readability.js on jsdom, as a long-lived child of one boilerbench worker
// (boilerbench/systems/readability_js.py): one JSON object a line on stdin, {"html", "url"}; one a
// line on stdout, {"content": the article's HTML ("" when Readability finds none), "error": null
// or what went wrong}. It exits at the end of stdin, so it ends with the worker that started it.
"use strict";

const readline = require("node:readline");
const { JSDOM, VirtualConsole } = require("jsdom");
const { Readability } = require("@mozilla/readability");

// jsdom reports the pages' CSS it cannot parse and their scripts' errors to its console: not ours.
const quiet = new VirtualConsole();

function documentUrl(url) {
  // jsdom refuses a URL it cannot parse; the page is then read without one, as about:blank
  try {
    return url ? new URL(url).href : "about:blank";
  } catch {
    return "about:blank";
  }
}

function extract(html, url) {
  const dom = new JSDOM(html, { url: documentUrl(url), virtualConsole: quiet });
  try {
    const article = new Readability(dom.window.document).parse();
    return article && article.content ? article.content : "";
  } finally {
    dom.window.close();
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = { content: extract(request.html, request.url), error: null };
  } catch (e) {
    answer = { content: "", error: `${e.name}: ${String(e.message).slice(0, 200)}` };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
lines.on("close", () => process.exit(0));
