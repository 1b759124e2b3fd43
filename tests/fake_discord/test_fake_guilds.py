"""The fake Discord with several guilds, bot owners and forged interactions, seen by discord.py.

A tiny bot defined here (not quotebot) answers with what discord.py parsed, so each test pins
down what a real client sees: which guilds it is in, where an interaction comes from, with whose
roles and permissions, who owns the application.
"""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from tests.fake_discord import FakeDiscord, point_discord_at, run_client
from tests.fake_discord.test_fake_discord import eventually

pytest_plugins = ["tests.fake_discord.fixtures"]

WAIT = 15.0  # generous: a busy 2-core machine; the fake measures the 3-second rule itself


class EchoView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Where", custom_id="echo:where")
    async def where(
        self, interaction: discord.Interaction, button: discord.ui.Button[EchoView]
    ) -> None:
        await interaction.response.send_message(f"clicked in {interaction.guild_id}")


class GuildBot(commands.Bot):
    """Answers with what discord.py made of each interaction; remembers joins and removals."""

    def __init__(
        self, *, dev_guild: int | None = None, intents: discord.Intents | None = None
    ) -> None:
        super().__init__(
            command_prefix="!", intents=intents or discord.Intents.default(), help_command=None
        )
        self.dev_guild = dev_guild
        self.joined: list[int] = []
        self.removed: list[int] = []
        self.messages: list[tuple[int | None, str]] = []
        self._add_commands()

    async def setup_hook(self) -> None:
        await self.tree.sync()
        if self.dev_guild is not None:
            await self.tree.sync(guild=discord.Object(id=self.dev_guild))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.joined.append(guild.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.removed.append(guild.id)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.application_id:
            self.messages.append((message.guild.id if message.guild else None, message.content))

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(description="Where am I, with which roles and permissions")
        async def where(interaction: discord.Interaction) -> None:
            user = interaction.user
            roles = (
                sorted(r.name for r in user.roles if not r.is_default())
                if isinstance(user, discord.Member)
                else None
            )
            perms = interaction.permissions
            cached = interaction.guild_id in {g.id for g in self.guilds}
            channel = getattr(interaction.channel, "name", None)  # a DM channel has none
            await interaction.response.send_message(
                f"guild={interaction.guild_id} channel={channel} cached={cached} "
                f"roles={roles} manage_guild={perms.manage_guild} admin={perms.administrator}"
            )

        async def guild_choices(
            interaction: discord.Interaction, current: str
        ) -> list[discord.app_commands.Choice[str]]:
            return [discord.app_commands.Choice(name=str(interaction.guild_id), value=current)]

        @tree.command(description="Autocomplete answering with the guild id")
        @discord.app_commands.autocomplete(text=guild_choices)
        async def echo(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(text, view=EchoView())

        @tree.command(description="Who owns the application")
        async def owners(interaction: discord.Interaction) -> None:
            app = await self.application_info()
            team = (
                None if app.team is None else sorted((m.id, m.role.value) for m in app.team.members)
            )
            owner = await self.is_owner(interaction.user)
            await interaction.response.send_message(
                f"owner={app.owner.id} team={team} is_owner={owner}"
            )

        @tree.context_menu(name="Roles here")
        async def roles_here(interaction: discord.Interaction, member: discord.Member) -> None:
            names = sorted(r.name for r in member.roles if not r.is_default())
            await interaction.response.send_message(f"{interaction.guild_id} {names}")

        @tree.context_menu(name="Message guild")
        async def message_guild(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(
                f"{interaction.guild_id} {message.channel.id} {message.content}"
            )

        if self.dev_guild is not None:

            @tree.command(description="Only in the dev guild", guild=discord.Object(self.dev_guild))
            async def devonly(interaction: discord.Interaction) -> None:
                await interaction.response.send_message(f"dev in {interaction.guild_id}")


async def answer(fake: FakeDiscord, name: str, **how: object) -> str:
    record = await fake.send_slash(name, **how)  # type: ignore[arg-type]
    await record.wait_done(WAIT)
    return record.content


async def test_the_bot_is_in_every_guild_each_built_like_the_default(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    b = fake.add_guild("Bible Study", members={"alice": ["Admin"], "mod": []})
    c = fake.add_guild("Pamphlets", owner="carol")
    assert fake.guild_ids == [fake.guild_id, b, c]
    async with run_client(GuildBot(), fake) as bot:
        assert sorted(g.id for g in bot.guilds) == sorted(fake.guild_ids)
        for gid in fake.guild_ids:
            guild = bot.get_guild(gid)
            assert guild is not None and not guild.unavailable
            assert {ch.name for ch in guild.channels} == {
                "Text Channels",
                "general",
                "quotes",
                "Lounge",
            }
            assert guild.get_channel(fake.channel_in(gid, "quotes")) is not None
            assert {r.name for r in guild.roles} == {"@everyone", "Moderator", "Admin", "quotebot"}
            assert guild.me is not None
        guild_b, guild_c = bot.get_guild(b), bot.get_guild(c)
        assert guild_b is not None and guild_c is not None
        assert guild_b.name == "Bible Study"
        assert guild_b.owner_id == fake.user_ids["Bible Study-owner"]
        assert guild_c.owner_id == fake.user_ids["carol"]
        # Guilds present at start-up are not "joins".
        assert bot.joined == []
    # One id per user name, whatever the guild; each guild has its own channels.
    assert fake.channel_in(b, "general") != fake.channel_in(c, "general") != fake.channel_id
    with pytest.raises(ValueError, match="no channel"):
        fake.channel_in(b, "nowhere")


async def test_interactions_carry_their_guild_roles_and_permissions(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    b = fake.add_guild("B", members={"alice": ["Admin"], "mod": []}, owner="bob")
    async with run_client(GuildBot(), fake):
        # "mod" manages the default guild only; "alice" administers B only.
        assert await answer(fake, "where", user="mod") == (
            f"guild={fake.guild_id} channel=general cached=True roles=['Moderator'] "
            "manage_guild=True admin=False"
        )
        assert await answer(fake, "where", user="mod", guild=b) == (
            f"guild={b} channel=general cached=True roles=[] manage_guild=False admin=False"
        )
        assert await answer(fake, "where", user="alice", guild=b, channel="quotes") == (
            f"guild={b} channel=quotes cached=True roles=['Admin'] manage_guild=True admin=True"
        )
        assert await answer(fake, "where", user="alice") == (
            f"guild={fake.guild_id} channel=general cached=True roles=[] "
            "manage_guild=False admin=False"
        )
        # A guild's owner has every permission there, and only there.
        assert "admin=True" in await answer(fake, "where", user="bob", guild=b)
        assert "manage_guild=False" in await answer(fake, "where", user="bob")
        # member_permissions still overrides.
        assert "manage_guild=True" in await answer(
            fake, "where", user="mod", guild=b, member_permissions=discord.Permissions(32)
        )
        assert await answer(fake, "where", guild=False) == (
            "guild=None channel=None cached=False roles=None manage_guild=False admin=False"
        )
    assert fake.member_permissions(fake.user_ids["bob"], guild=b) == (
        discord.Permissions.all().value
    )
    with pytest.raises(ValueError, match="unknown guild"):
        fake.slash_payload("where", guild=12345)
    with pytest.raises(ValueError, match="unknown guild channel"):
        fake.slash_payload("where", guild=b, channel=fake.channel_id)


async def test_autocomplete_components_and_context_menus_happen_in_their_guild(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    b = fake.add_guild("B", members={"alice": ["Moderator"]})
    async with run_client(GuildBot(), fake) as bot:
        typed = await fake.send_autocomplete("echo", {"text": "x"}, "text", guild=b)
        await typed.wait_done(WAIT)
        assert typed.choices == [{"name": str(b), "value": "x"}]

        echoed = await fake.send_slash("echo", {"text": "hi"}, guild=b)
        await echoed.wait_done(WAIT)
        click = await fake.click(echoed, "echo:where", user="alice")
        await click.wait_done(WAIT)
        assert click.content == f"clicked in {b}"
        assert click.guild_id == b

        roles = await fake.send_user_command("Roles here", "alice", guild=b)
        await roles.wait_done(WAIT)
        assert roles.content == f"{b} ['Moderator']"

        quoted = await fake.send_message_command("Message guild", "verbatim", guild=b)
        await quoted.wait_done(WAIT)
        assert quoted.content == f"{b} {fake.channel_in(b, 'general')} verbatim"

        in_dm = await fake.send_message_command("Message guild", "in a DM", guild=False)
        await in_dm.wait_done(WAIT)
        assert in_dm.content == f"None {fake.dm_channel_id('alice')} in a DM"

        await fake.send_user_message("hello B", author="alice", guild=b, channel="quotes")
        await eventually(lambda: (b, "hello B") in bot.messages)


async def test_join_remove_and_rejoin_fire_discord_py_events(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(GuildBot(), fake) as bot:
        c = await fake.add_guild("C", members={"alice": ["Admin"]})
        await eventually(lambda: bot.joined == [c])
        assert c in fake.guild_ids and bot.get_guild(c) is not None
        assert "admin=True" in await answer(fake, "where", user="alice", guild=c)

        # Not awaited: an interaction injected right after still follows the GUILD_CREATE.
        d = fake.add_guild("D")
        assert f"guild={d} channel=general cached=True" in await answer(fake, "where", guild=d)
        await eventually(lambda: bot.joined == [c, d])

        await fake.remove_guild(c)
        await eventually(lambda: bot.removed == [c])
        assert c not in fake.guild_ids and bot.get_guild(c) is None
        with pytest.raises(ValueError, match="not in guild"):
            await fake.send_slash("where", guild=c)
        with pytest.raises(discord.NotFound):
            await bot.fetch_guild(c)
        with pytest.raises(discord.Forbidden):
            await bot.get_partial_messageable(fake.channel_in(c, "general")).send("still here?")
        with pytest.raises(discord.Forbidden):
            await bot.tree.sync(guild=discord.Object(id=c))

        await fake.rejoin_guild(c)
        await eventually(lambda: bot.joined == [c, d, c])
        assert fake.guild_ids == [fake.guild_id, c, d]
        guild = bot.get_guild(c)
        assert guild is not None and guild.get_channel(fake.channel_in(c, "quotes")) is not None
        assert "admin=True" in await answer(fake, "where", user="alice", guild=c)
    fetched = [r for r in fake.requests if r.method == "GET" and r.path == f"/guilds/{c}"]
    assert [r.status for r in fetched] == [404]


async def test_with_the_members_intent_each_guild_sends_its_own_members(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    b = fake.add_guild("B", members={"alice": ["Admin"], "zoe": ["Moderator"]})
    intents = discord.Intents.default()
    intents.members = True
    async with run_client(GuildBot(intents=intents), fake, timeout=WAIT) as bot:
        guild_b = bot.get_guild(b)
        assert guild_b is not None
        await eventually(lambda: guild_b.chunked)
        alice_b = guild_b.get_member(fake.user_ids["alice"])
        assert alice_b is not None and [r.name for r in alice_b.roles[1:]] == ["Admin"]
        assert guild_b.get_member(fake.user_ids["mod"]) is None  # a member of the default only
        home = bot.get_guild(fake.guild_id)
        assert home is not None
        await eventually(lambda: home.chunked)
        alice_home = home.get_member(fake.user_ids["alice"])
        assert alice_home is not None and alice_home.roles[1:] == []

        c = await fake.add_guild("C", members={"zoe": []})
        await eventually(lambda: bot.joined == [c])
        guild_c = bot.get_guild(c)
        assert guild_c is not None and guild_c.get_member(fake.user_ids["zoe"]) is not None


async def test_guild_commands_are_visible_in_their_guild_only(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    dev = fake.add_guild("Dev")
    async with run_client(GuildBot(dev_guild=dev), fake) as bot:
        assert [s.guild_id for s in fake.syncs] == [None, dev]
        assert await answer(fake, "devonly", guild=dev) == f"dev in {dev}"
        with pytest.raises(LookupError, match="only in guild"):
            await fake.send_slash("devonly")
        # Global commands work everywhere, the dev guild included.
        assert f"guild={dev}" in await answer(fake, "where", guild=dev)
        fetched = await bot.tree.fetch_commands(guild=discord.Object(id=dev))
        assert [c.name for c in fetched] == ["devonly"]
        with pytest.raises(discord.Forbidden):
            await bot.tree.fetch_commands(guild=discord.Object(id=1234))
    assert fake.find_command("devonly", guild=dev)["guild_id"] == str(dev)


async def test_application_owner_then_team(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(GuildBot(), fake) as bot:
        app = await bot.application_info()
        assert app.owner.id == fake.app_owner_id == fake.owner_id and app.team is None
        assert fake.app_owner_ids == {fake.owner_id}
        assert await answer(fake, "owners", user="owner") == (
            f"owner={fake.owner_id} team=None is_owner=True"
        )

        team_id = fake.set_team(["carol", "dave", "erin"], roles={"erin": "read_only"})
        app = await bot.application_info()
        assert app.team is not None and app.team.id == team_id == fake.team_id
        assert app.team.owner_id == fake.user_ids["carol"]
        assert {m.name: (m.role.value, m.membership_state.value) for m in app.team.members} == {
            "carol": ("admin", 2),
            "dave": ("developer", 2),
            "erin": ("read_only", 2),
        }
        # The owner becomes the team's pseudo-user, as Discord reports it.
        assert app.owner.id == team_id and app.owner.name == f"team{team_id}"
        assert app.owner.public_flags.team_user
    assert fake.app_owner_ids == {fake.user_ids["carol"], fake.user_ids["dave"]}


async def test_team_given_at_construction_makes_owners(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeDiscord(team=["carol", "dave"]) as fake:
        point_discord_at(fake, monkeypatch)
        b = fake.add_guild("B", members={"dave": []})
        async with run_client(GuildBot(), fake):
            carol = await answer(fake, "owners", user="carol", guild=False)
            dave = await answer(fake, "owners", user="dave", guild=b)
            owner = await answer(fake, "owners", user="owner")
    fake.assert_no_violations()
    assert carol.endswith("is_owner=True") and dave.endswith("is_owner=True")
    assert owner.endswith("is_owner=False")


async def test_forged_guild_interactions_arrive_as_built(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    b = fake.add_guild("B")
    async with run_client(GuildBot(), fake):
        forged = await fake.send_slash("where", user="bob", forged_guild_id=424242)
        await forged.wait_done(WAIT)
        assert forged.forged_guild_id == 424242 == forged.guild_id
        assert forged.payload["guild"]["id"] == "424242"
        assert forged.payload["channel"]["guild_id"] == "424242"
        # discord.py takes it at its word: a guild it is not in, an owner's permissions.
        assert forged.content.startswith("guild=424242 channel=general cached=False")
        assert "admin=True" in forged.content

        typed = await fake.send_autocomplete("echo", {"text": "x"}, "text", forged_guild_id=424242)
        await typed.wait_done(WAIT)
        assert typed.choices == [{"name": "424242", "value": "x"}]

        # A guild the bot left may be claimed too.
        await fake.remove_guild(b)
        claimed = await fake.send_slash(
            "where", forged_guild_id=b, member_permissions=discord.Permissions.none()
        )
        await claimed.wait_done(WAIT)
        assert claimed.content.startswith(f"guild={b} channel=general cached=False")
        assert "manage_guild=False" in claimed.content

        normal = await fake.send_slash("where")
        await normal.wait_done(WAIT)
        assert normal.forged_guild_id is None
    with pytest.raises(ValueError, match="bot is in"):
        fake.slash_payload("where", forged_guild_id=fake.guild_id)
    assert fake.violations == []
