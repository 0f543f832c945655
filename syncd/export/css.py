"""The one small style sheet of an exported site: readable, printable, no web fonts."""

STYLE = """\
*{box-sizing:border-box}
body{margin:0;font:17px/1.6 "Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;
color:#1d1d1f;background:#f6f6f4}
header.site,main,footer.site{max-width:50rem;margin:0 auto;padding:0 1rem}
header.site{padding-top:1rem;border-bottom:3px solid #a50e0e;background:#fff}
header.site .name{font-size:1.3rem;font-weight:700;color:#a50e0e;text-decoration:none}
header.site nav{margin:.3rem 0 .6rem}
header.site nav a{margin-right:1rem}
main{background:#fff;padding-top:1rem;padding-bottom:2rem}
a{color:#0b57d0}
h1{line-height:1.25;margin:.4rem 0 .6rem}
.meta{color:#555;font-size:.9rem}
.meta span+span:before{content:" · "}
.snapshot{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem .8rem;font-size:.9rem;
margin:1rem 0}
article .body img{max-width:100%;height:auto}
article .body table{border-collapse:collapse;max-width:100%;display:block;overflow-x:auto}
article .body td,article .body th{border:1px solid #ccc;padding:.25rem .5rem}
ol.list{list-style:none;padding:0}
ol.list li{padding:.6rem 0;border-bottom:1px solid #eee}
ol.list .title{font-weight:600;font-size:1.05rem}
ol.list p{margin:.2rem 0}
.attachments li .missing{color:#a50e0e}
nav.pages{margin-top:1rem;display:flex;justify-content:space-between}
footer.site{color:#666;font-size:.85rem;padding-top:1rem;padding-bottom:2rem}
@media print{header.site nav,nav.pages{display:none}body{background:#fff}}
"""
