// Reference for the benchmark: an RSSHub-style cheerio scraper doing the same job as bs4_extract.py.
const fs = require("fs");
const cheerio = require("cheerio");

const PATTERNS = {
  incidents_handled: /共处理(?:了)?网络安全事件\s*(\d+)\s*起/,
  incidents_cross_border: /(?:含|其中)跨境网络安全事件\s*(\d+)\s*起/,
  phishing_complaints: /重点处理(?:了)?\s*(\d+)\s*起(?:网页)?仿冒投诉/,
  malicious_app_platforms: /协调\s*(\d+)\s*个提供恶意移动应用程序下载服务的平台/,
  malicious_urls: /恶意\s*代码的恶意URL链(?:接)?\s*(\d+)\s*个/,
};

for (const path of process.argv.slice(2)) {
  const html = fs.readFileSync(path, "utf8");
  const $ = cheerio.load(html);
  const title = $('meta[property="og:title"]').attr("content") || "";
  const text = $("#js_content").text();
  const ct = /var ct = "(\d+)"/.exec(html);
  const metrics = {};
  for (const [k, p] of Object.entries(PATTERNS)) {
    const m = p.exec(text);
    if (m) metrics[k] = Number(m[1]);
  }
  const previous = $("#js_content a").filter((_, a) => $(a).text().includes("周报")).map((_, a) => $(a).attr("href")).get();
  console.log(JSON.stringify({ title, ct: ct && ct[1], metrics, previous }));
}
