"""The fake Discord with several shards, seen by discord.py's AutoShardedBot.

Discord's rules that these pin down: GET /gateway/bot recommends a shard count; each IDENTIFY
names its shard as [shard_id, num_shards] and gets a session of its own; a guild's events,
interactions included, go only to shard (guild_id >> 22) % num_shards, and direct messages to
shard 0; an IDENTIFY with a shard outside 0..num_shards-1 is closed with 4010.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fake_discord import FakeDiscord, GatewayConnection, run_client

pytest_plugins = ["tests.fake_discord.fixtures"]

WAIT = 15.0  # generous: a busy 2-core machine


class ShardBot(commands.AutoShardedBot):
    """Answers /where with the guild it saw (or "dm")."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), help_command=None, **options
        )

        @self.tree.command(name="where", description="where this came from")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"in {interaction.guild_id or 'dm'}")

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between two IDENTIFYs (Discord's identify rate limit); the fake
        enforces that limit only when a test asks (`identify_interval`), so these skip the wait."""


class PatientShardBot(ShardBot):
    """A ShardBot that waits between IDENTIFYs as discord.py does by default."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await commands.AutoShardedBot.before_identify_hook(self, shard_id, initial=initial)


def guilds_sent_to(conn: GatewayConnection) -> set[int]:
    return {int(d["id"]) for event, d in conn.events if event == "GUILD_CREATE"}


def interactions_sent_to(conn: GatewayConnection) -> set[int]:
    return {int(d["id"]) for event, d in conn.events if event == "INTERACTION_CREATE"}


def connection_of(fake: FakeDiscord, shard_id: int) -> GatewayConnection:
    found = [c for c in fake.gateway_connections if c.shard and c.shard[0] == shard_id]
    assert found, f"no connection identified shard {shard_id}"
    return found[-1]


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    """The fake, recommending two shards."""
    fake_discord.shards = 2
    return fake_discord


def guild_on(fake: FakeDiscord, shard: int, name: str) -> int:
    """A new guild on that shard, with alice a member."""
    return fake.add_guild(name, members={"alice": []}, shard=shard)


async def test_an_auto_sharded_bot_asks_gateway_bot_and_opens_one_connection_per_shard(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    fake.shards = 3  # what GET /gateway/bot recommends
    for shard in range(3):
        fake.add_guild(f"on shard {shard}", members={"alice": []}, shard=shard)
    async with run_client(ShardBot(), fake) as bot:
        assert [r.status for r in fake.requests_to("GET /gateway/bot")] == [200]
        assert bot.shard_count == 3
        assert fake.identified_shards == {0: 3, 1: 3, 2: 3}
        assert fake.connected_shards == [0, 1, 2]
        assert {g.id for g in bot.guilds} == set(fake.guild_ids)
        for guild in bot.guilds:
            assert guild.shard_id == fake.shard_of(guild.id)
            for shard in range(3):
                sent = guilds_sent_to(connection_of(fake, shard))
                assert (guild.id in sent) == (shard == fake.shard_of(guild.id))


async def test_each_shard_gets_only_its_guilds_and_their_interactions(fake: FakeDiscord) -> None:
    zero = guild_on(fake, 0, "on shard 0")
    one = guild_on(fake, 1, "on shard 1")
    async with run_client(ShardBot(shard_count=2), fake):
        for gid in fake.guild_ids:
            shard = fake.shard_of(gid, 2)
            assert gid in guilds_sent_to(connection_of(fake, shard))
            assert gid not in guilds_sent_to(connection_of(fake, 1 - shard))
        records = {
            gid: await fake.send_slash("where", guild=gid) for gid in (zero, one, fake.guild_id)
        }
        dm = await fake.send_slash("where", guild=False)
        for gid, rec in records.items():
            await rec.wait_done(WAIT)
            assert rec.content == f"in {gid}"
            assert rec.id in interactions_sent_to(connection_of(fake, fake.shard_of(gid, 2)))
            assert rec.id not in interactions_sent_to(
                connection_of(fake, 1 - fake.shard_of(gid, 2))
            )
        await dm.wait_done(WAIT)
        assert dm.content == "in dm"
        assert dm.id in interactions_sent_to(connection_of(fake, 0))


async def test_guild_id_on_shard_gives_ids_on_the_shard_asked_for() -> None:
    fake = FakeDiscord(shards=4)
    ids = [fake.guild_id_on_shard(s) for s in (3, 0, 2, 1, 3)]
    assert [fake.shard_of(i) for i in ids] == [3, 0, 2, 1, 3]
    assert ids == sorted(set(ids))  # still strictly increasing snowflakes
    with pytest.raises(ValueError, match=r"not one of 0\.\.3"):
        fake.guild_id_on_shard(4)


async def test_two_processes_with_different_shard_ids_split_the_guilds(fake: FakeDiscord) -> None:
    """Two clients, as two processes would run them: shard 0 and shard 1 of 2."""
    guild_on_1 = guild_on(fake, 1, "far")
    first, second = ShardBot(shard_count=2, shard_ids=[0]), ShardBot(shard_count=2, shard_ids=[1])
    async with run_client(first, fake), run_client(second, fake, register_commands=False):
        assert fake.identified_shards == {0: 2, 1: 2}
        assert {g.id for g in first.guilds} | {g.id for g in second.guilds} == set(fake.guild_ids)
        assert not {g.id for g in first.guilds} & {g.id for g in second.guilds}
        assert guild_on_1 in {g.id for g in second.guilds}
        rec = await fake.send_slash("where", guild=guild_on_1)
        await rec.wait_done(WAIT)
        assert rec.content == f"in {guild_on_1}"
        assert rec.id in interactions_sent_to(connection_of(fake, 1))


async def test_two_processes_identifying_at_once_are_told_to_wait_and_both_get_ready(
    fake: FakeDiscord,
) -> None:
    """Discord's identify rate limit (max_concurrency 1: one IDENTIFY per 5 s): two processes
    starting together cannot coordinate; the second IDENTIFY gets Invalid Session and
    discord.py identifies again after its 5 s wait."""
    fake.identify_interval = 5.0
    guild_on_1 = guild_on(fake, 1, "far")
    first = PatientShardBot(shard_count=2, shard_ids=[0])
    second = PatientShardBot(shard_count=2, shard_ids=[1])
    async with run_client(first, fake), run_client(second, fake, register_commands=False):
        assert fake.identify_refused == 1
        assert fake.identified_shards == {0: 2, 1: 2}
        rec = await fake.send_slash("where", guild=guild_on_1)
        await rec.wait_done(WAIT)
        assert rec.content == f"in {guild_on_1}"


async def test_a_guild_on_a_shard_nobody_identified_cannot_get_interactions(
    fake: FakeDiscord,
) -> None:
    lonely = guild_on(fake, 1, "lonely")
    async with run_client(ShardBot(shard_count=2, shard_ids=[0]), fake):
        with pytest.raises(RuntimeError, match="no bot has identified the shard of guild"):
            await fake.send_slash("where", guild=lonely)


@pytest.mark.discord_violations_ok("gateway.shard_invalid")
@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], "0,1"])
async def test_an_identify_with_an_invalid_shard_is_closed_with_4010(
    fake_discord: FakeDiscord, shard: object
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(fake_discord.gateway_url) as ws,
    ):
        hello = await ws.receive_json()
        assert hello["op"] == 10
        identify = {"token": "fake-bot-token", "intents": 1, "properties": {}, "shard": shard}
        await ws.send_str(json.dumps({"op": 2, "d": identify}))
        msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4010
    assert [v.rule for v in fake_discord.violations] == ["gateway.shard_invalid"]
    assert fake_discord.identified_shards == {}


async def test_one_dropped_shard_resumes_and_gets_what_it_missed(fake: FakeDiscord) -> None:
    on_1 = guild_on(fake, 1, "one")
    async with run_client(ShardBot(shard_count=2), fake):
        await fake.drop_gateway(hold=True, shard=1)
        assert fake.connected_shards == [0]
        rec = await fake.send_slash("where", guild=on_1)  # kept for shard 1's RESUME
        fake.release_gateway()
        await fake.wait_for_resume(WAIT)
        await rec.wait_done(WAIT)
        assert rec.content == f"in {on_1}"
        assert connection_of(fake, 1).kind == "resume"
        assert connection_of(fake, 0).kind == "identify"
