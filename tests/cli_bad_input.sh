#!/bin/sh
# tests/cli_bad_input.sh: every bad input gets one clear line on stderr that
# names the offending item, exit status 2, and no output file created or
# changed. One row per case: description | expected text | arguments.
. tests/lib_cli.sh
mkdir -p "$WORK/files" "$WORK/io"
cd "$WORK/files" || exit 1

# Files the cases point at.
printf 'my notes, not a database\n' > notes.db
"$BIN" baseline --episodes 3 --db good.db --quiet > /dev/null || exit 1
cp good.db future.db
sqlite3 future.db "PRAGMA user_version = 99"
sqlite3 foreign.db "CREATE TABLE mine (x); INSERT INTO mine VALUES (1);"
printf '[task]\ncolour = red\n' > badkey.ini
printf '[run]\nepisodes = 10\nthis is not ini\n' > badline.ini
printf '[run]\nepisodes = -5\n' > badvalue.ini
printf 'episodes = 5\n' > nosection.ini
printf '[run]\nepisodes = 5\n[task]\ntrials = 9\n[run]\nepisodes = 6\n' > dupkey.ini
mkdir -p adir
mkfifo fifo.csv
printf 'subject,trial,choice,reward\ns1,1,1,1\ns1,2,7,0\n' > badchoice.csv
printf 'subject,trial,choice,reward\ns1,1,1,1\ns1,2,2\n' > short.csv
printf 'subject,trial,choice,reward\ns1,1,1,1\ns1,2,2,0\n' > goodimport.csv
printf 'subject,trial,choice,reward\ns1,1,1,1\ns1,1000000,2,0\n' > jump.csv
printf 'subject,trial,choice,choice,reward\ns1,1,1,2,1\n' > dupcol.csv
snapshot() { ls -l --time-style=+%s . | awk '{print $5, $6, $7}'; cat ./*.db ./*.ini 2>/dev/null | cksum; }
refusals <<'TABLE'
unknown command            | unknown command 'frobnicate'  | frobnicate
unknown option             | --frob                        | baseline --frob 1 --db new.db
unknown task               | frobtask                      | baseline --task frobtask --db new.db
unknown agent              | oracle                        | baseline --agent oracle --db new.db
unknown key in --set       | task.colour                   | baseline --set task.colour=red --db new.db
unknown section in --set   | [colour]                      | baseline --set colour.x=1 --db new.db
malformed --set            | section.key=value             | baseline --set episodes=3 --db new.db
malformed number           | --episodes                    | baseline --episodes ten --db new.db
episodes zero              | out of range                  | baseline --episodes 0 --db new.db
episodes negative          | --episodes                    | baseline --episodes -4 --db new.db
probability above 1        | --p1                          | baseline --dist fixed --p1 1.5 --db new.db
probability below 0        | --p-low                       | baseline --task reversal --p_low -0.1 --db new.db
p_low above p_high         | p_low                         | baseline --task reversal --p_high 0.2 --p_low 0.8 --db new.db
unknown distribution       | unknown value 'uniform'       | baseline --dist uniform --db new.db
malformed block list       | 10,x                          | baseline --task reversal --schedule blocks --blocks 10,x --db new.db
seed negative              | --seed                        | baseline --seed -1 --db new.db
name with an escape code   | --name: byte 2 (0x1b) is a control character | baseline --name "$(printf 'a\033[31m')" --db new.db
name not UTF-8             | --name: byte 4 (0xe9) is not valid UTF-8 | import goodimport.csv --name "$(printf 'caf\351')" --db new.db
name empty                 | --name: empty                 | baseline --name '' --db new.db
key of another task        | task.hazard                   | baseline --hazard 0.1 --db new.db
agent cannot serve task    | bayes                         | baseline --task reversal --agent bayes --db new.db
option without value       | needs a value                 | baseline --db new.db --episodes
extra argument             | unexpected argument 'foo'     | baseline foo --db new.db
unreadable config          | /nonexistent/x.ini            | baseline --config /nonexistent/x.ini --db new.db
config: unknown key        | badkey.ini:2                  | baseline --config badkey.ini --db new.db
config: malformed line     | badline.ini:3                 | baseline --config badline.ini --db new.db
config: value out of range | badvalue.ini:2                | baseline --config badvalue.ini --db new.db
config: key outside section| outside any [section]         | baseline --config nosection.ini --db new.db
config: key given twice    | dupkey.ini:6: [run] episodes is given twice (first on line 2) | baseline --config dupkey.ini --db new.db
config: a device           | /dev/zero: a device           | baseline --config /dev/zero --db new.db
config: a directory        | adir: a directory             | train --config adir --db new.db
import: a device           | /dev/zero: a device           | import /dev/zero --db good.db
import: a directory        | adir: a directory             | import adir --db new.db
db is a text file          | not a metarl database         | baseline --episodes 2 --db notes.db
db of another application  | another application           | baseline --episodes 2 --db foreign.db
db with a newer schema     | newer                         | baseline --episodes 2 --db future.db
db in a missing directory  | nodir/x.db                    | baseline --episodes 2 --db nodir/x.db
info: missing file         | no such file                  | info missing.db
info: not a database       | not a metarl database         | info notes.db
info: newer schema         | newer                         | info future.db
export: unknown format     | --format                      | export good.db --format xlsx --output new.csv
export: no such run        | no run 99                     | export good.db --run 99 --output new.csv
export: malformed run id   | --run                         | export good.db --run first --output new.csv
export: missing argument   | needs an argument             | export
export: onto its input     | is this command's input good.db | export good.db --output good.db
export: onto another store | an SQLite database            | export good.db --output future.db
export: onto a FIFO        | fifo.csv: a device, FIFO      | export good.db --output fifo.csv
export: onto a directory   | adir: a directory             | export good.db --output adir
export: run w/o activity   | stored no unit activity       | export good.db --format activity --output new.csv
import: bad choice code    | badchoice.csv:3:6             | import badchoice.csv --db good.db
import: bad choice, new db | badchoice.csv:3:6             | import badchoice.csv --db new.db
import: short line         | short.csv:3:7                 | import short.csv --db good.db
import: missing file       | nothere.csv                   | import nothere.csv --db good.db
import: no --db            | --db                          | import short.csv
import: unknown format     | --format                      | import short.csv --format xls --db good.db
import: reversal w/o truth | --correct-col                 | import short.csv --task reversal --db good.db
import: bad reward codes   | --rewards                     | import short.csv --rewards 1 --db good.db
import: same choice codes  | --choices: '1,1' gives code '1' to both sides | import goodimport.csv --choices 1,1 --db good.db
import: same reward code   | --rewards: '1,1' gives code '1' to both sides | import goodimport.csv --rewards 1,1 --db good.db
import: trial numbers jump | jump.csv:3:4: trial 1000000 of subject 's1' follows trial 1 | import jump.csv --db good.db
import: a column twice     | the header names column 'choice' twice | import dupcol.csv --db good.db
train: zero units          | --hidden                      | train --hidden 0 --db new.db
train: zero batch          | --batch                       | train --batch 0 --db new.db
train: unknown activation  | sigmoid                       | train --set model.activation=sigmoid --db new.db
train: lr out of range     | --lr                          | train --lr 20 --db new.db
train: resume, no run      | holds no training run         | train --resume --db good.db
train: resume, missing db  | no such file                  | train --resume --db new.db
train: --run w/o --resume  | --run goes with --resume      | train --run 1 --db new.db
train: db is a text file   | not a metarl database         | train --episodes 16 --db notes.db
test: no training run      | holds no training run         | test --db good.db
test: run is not training  | not a training run            | test --db good.db --run 1
test: missing db           | no such file                  | test --db new.db
test: unknown agent        | oracle                        | test --db good.db --agents oracle
test: agent named twice    | 'wsls' is listed twice        | test --db good.db --agents wsls,wsls
test: steps without rates  | test.activity=false records none | test --db good.db --activity false --activity-steps all
train: unknown test agent  | oracle                        | train --episodes 16 --db new.db --agents oracle
train: steps without rates | test.activity=false records none | train --episodes 16 --db new.db --set test.activity=false --set test.activity_steps=all
import: into a text file   | not a metarl database         | import goodimport.csv --db notes.db
TABLE
finish
